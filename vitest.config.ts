import { defineConfig } from "vitest/config"
import workspace from "./vitest.workspace.js"

export default defineConfig({
  test: {
    projects: workspace,
    reporters: ["default"],
    testTimeout: 30_000,
    hookTimeout: 60_000
  }
})
