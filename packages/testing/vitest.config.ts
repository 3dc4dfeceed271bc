import { defineProject } from "vitest/config"

export default defineProject({
  resolve: { conditions: ["@emcee/source"] },
  test: { name: "testing", include: ["test/**/*.test.ts"] }
})
