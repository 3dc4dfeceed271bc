import { defineProject } from "vitest/config"
import { timeouts } from "../../vitest.shared.js"

export default defineProject({
  resolve: { conditions: ["@emcee/source"] },
  // vitest runs tests in Vite's SSR environment, which has its own conditions.
  ssr: { resolve: { conditions: ["@emcee/source"] } },
  test: { ...timeouts, name: "core", include: ["test/**/*.test.ts"] }
})
