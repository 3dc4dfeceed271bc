import { defineProject } from "vitest/config"

export default defineProject({
  resolve: { conditions: ["@emcee/source"] },
  ssr: { resolve: { conditions: ["@emcee/source"] } },
  test: { name: "cli", include: ["test/**/*.test.ts"] }
})
