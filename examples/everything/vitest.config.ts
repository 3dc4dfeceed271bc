import { defineProject } from "vitest/config"

export default defineProject({
  resolve: { conditions: ["@emcee/source"] },
  test: { name: "everything", include: ["test/**/*.test.ts"] }
})
