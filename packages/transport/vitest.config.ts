import { defineProject } from "vitest/config"

export default defineProject({
  resolve: { conditions: ["@emcee/source"] },
  test: { name: "transport", include: ["test/**/*.test.ts"] }
})
