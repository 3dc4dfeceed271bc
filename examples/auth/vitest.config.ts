import { defineProject } from "vitest/config"

export default defineProject({
  resolve: { conditions: ["@emcee/source"] },
  test: { name: "example-auth", include: ["test/**/*.test.ts"] }
})
