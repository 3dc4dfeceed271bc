import { defineProject } from "vitest/config"

export default defineProject({
  resolve: { conditions: ["@emcee/source"] },
  test: { name: "example-oauth", include: ["test/**/*.test.ts"] }
})
