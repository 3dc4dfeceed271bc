import { defineProject } from "vitest/config"
import { timeouts } from "../../vitest.shared.js"

export default defineProject({
  resolve: { conditions: ["@emcee/source"] },
  ssr: { resolve: { conditions: ["@emcee/source"] } },
  test: { ...timeouts, name: "cli", include: ["test/**/*.test.ts"] }
})
