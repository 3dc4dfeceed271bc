/**
 * `emcee init`: each template generated into a temporary folder (in-process,
 * output captured), the deployment files parsed as YAML, the refusals (a
 * folder that is not empty, an unknown template, gateway, bad flags), a real
 * `npm install` that fails (offline, empty cache) with its progress on
 * stderr, and one end-to-end run: the folder template generated against this
 * checkout (`--emcee-source`), its node_modules linked to the workspace's,
 * then its own `tsc --noEmit` and `vitest run`, and `emcee serve` (the built
 * binary) answering `tools/list` to a real stdio client.
 */
import { Command } from "@effect/cli"
import { McpClient } from "@emcee/core"
import { StdioClientTransport } from "@emcee/transport"
import { Cause, Effect, Exit, Option } from "effect"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import * as YAML from "yaml"
import { CliError } from "../src/CliError.js"
import * as Init from "../src/Init.js"
import { healthCheckScript } from "../src/internal/initDeploy.js"
import { runner } from "./support/runCommand.js"

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")
const run = promisify(execFile)

let root: string

beforeEach(() => {
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "emcee-init-")))
})

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true })
})

/** Runs `emcee init ...args` in-process as bin.ts does: stdout, stderr and the exit code. */
const emcee = runner(Command.make("emcee").pipe(Command.withSubcommands([Init.command])), "init")

const read = (dir: string, file: string) => fs.readFileSync(path.join(dir, file), "utf8")
const readJson = (dir: string, file: string) => JSON.parse(read(dir, file)) as Record<string, unknown>
/** Every file under `dir`, relative, sorted. */
const listFiles = (dir: string): Array<string> =>
  (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as Array<fs.Dirent>)
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort()
/** The JSON code blocks of a Markdown text, parsed. */
const jsonBlocks = (markdown: string) => [...markdown.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]!) as Record<string, Record<string, Record<string, unknown>>>)
/** A parsed YAML value, walked without checks (the assertions do the checking). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed YAML, walked by the assertions
type Node = any
/** A YAML file's documents, failing the test on any parse error or warning. */
const parseYaml = (dir: string, file: string) => {
  const docs = YAML.parseAllDocuments(read(dir, file))
  for (const doc of docs) {
    expect(doc.errors, `${file}: ${doc.errors.map((e) => e.message).join("; ")}`).toEqual([])
    expect(doc.warnings).toEqual([])
  }
  return docs.map((doc) => doc.toJS() as Node)
}

describe("emcee init: the templates", () => {
  it("minimal: one module exporting the app Layer, its test with TestClient, a README with client snippets", async () => {
    const dir = path.join(root, "My Server")
    const result = await emcee(dir, "--no-install")
    expect(result).toMatchObject({ code: 0, stderr: "" })
    expect(listFiles(dir)).toEqual([".gitignore", "README.md", "package.json", "src/server.ts", "test/server.test.ts", "tsconfig.build.json", "tsconfig.json"])
    expect(result.stdout).toContain(`Created my-server (minimal template) in ${dir}:`)
    expect(result.stdout).toContain("  npm install")
    const pkg = readJson(dir, "package.json")
    expect(pkg).toMatchObject({
      name: "my-server",
      type: "module",
      scripts: { build: "tsc -p tsconfig.build.json", start: "emcee serve dist/server.js", dev: "emcee serve src/server.ts", test: "vitest run" },
      // Not on the registry yet: the version the workspace packages have.
      dependencies: { "@emcee/core": "^0.1.0", "@emcee/transport": "^0.1.0", "@emcee/cli": "^0.1.0", effect: expect.any(String) },
      devDependencies: { "@emcee/testing": "^0.1.0", typescript: expect.any(String), vitest: expect.any(String) }
    })
    expect(readJson(dir, "tsconfig.json")).toMatchObject({ compilerOptions: { strict: true, module: "NodeNext" } })
    expect(read(dir, "src/server.ts")).toMatch(/export default App/)
    expect(read(dir, "test/server.test.ts")).toContain(`import { TestClient } from "@emcee/testing"`)
    const readme = read(dir, "README.md")
    expect(readme).toContain("npx emcee install claude-desktop dist/server.js")
    const [claude, vscode] = jsonBlocks(readme)
    // Absolute paths: clients start servers from an unknown folder, often without PATH.
    expect(claude!.mcpServers!["my-server"]).toEqual({
      command: process.execPath,
      args: [`${dir}/node_modules/@emcee/cli/dist/bin.js`, "serve", `${dir}/dist/server.js`]
    })
    expect(vscode!.servers!["my-server"]).toMatchObject({ type: "stdio", command: process.execPath })
  })

  it("folder: tools/, prompts/, resources/ by convention, served from TypeScript; the emcee config names the server", async () => {
    const dir = path.join(root, "notes")
    expect((await emcee(dir, "--template", "folder", "--no-install")).code).toBe(0)
    expect(listFiles(dir)).toEqual([
      ".gitignore",
      "README.md",
      "package.json",
      "src/emcee.config.yaml",
      "src/prompts/greet.ts",
      "src/resources/about.ts",
      "src/tools/hello.ts",
      "test/hello.test.ts",
      "tsconfig.build.json",
      "tsconfig.json"
    ])
    expect(readJson(dir, "package.json")).toMatchObject({ scripts: { start: "emcee serve src", dev: "emcee dev src" } })
    expect(read(dir, "src/tools/hello.ts")).toContain(`export default Tool.make("hello"`)
    expect(read(dir, "test/hello.test.ts")).toContain(`import hello from "../src/tools/hello.js"`)
    expect(parseYaml(dir, "src/emcee.config.yaml")).toEqual([{ server: { name: "notes", version: "0.1.0" } }])
  })

  it("http: src/main.ts serves Streamable HTTP on PORT with /health; README snippets name the URL", async () => {
    const dir = path.join(root, "api")
    expect((await emcee(dir, "-t", "http", "--no-install")).code).toBe(0)
    expect(listFiles(dir)).toContain("src/main.ts")
    expect(listFiles(dir)).toContain("src/server.ts")
    expect(readJson(dir, "package.json")).toMatchObject({
      scripts: { start: "node dist/main.js", dev: "emcee serve src/server.ts --http" },
      dependencies: { "@effect/platform-node": expect.any(String) },
      devDependencies: { "@emcee/cli": "^0.1.0" }
    })
    expect(read(dir, "src/main.ts")).toContain("HttpTransport.make")
    const [claude, vscode] = jsonBlocks(read(dir, "README.md"))
    expect(claude!.mcpServers!["api"]).toEqual({ type: "http", url: "http://127.0.0.1:3000/mcp" })
    expect(vscode!.servers!["api"]).toEqual({ type: "http", url: "http://127.0.0.1:3000/mcp" })
  })

  it("auth: BearerGuard with scopes, JWT settings from the environment (.env.example), a test acting as callers", async () => {
    const dir = path.join(root, "secure")
    expect((await emcee(dir, "--template", "auth", "--no-install", "--name", "@acme/secure-mcp")).code).toBe(0)
    expect(readJson(dir, "package.json")).toMatchObject({ name: "@acme/secure-mcp", dependencies: { "@emcee/auth": "^0.1.0" } })
    const main = read(dir, "src/main.ts")
    expect(main).toContain("BearerGuard.make")
    expect(main).toContain(`Jwt.config("JWT")`)
    expect(read(dir, "src/server.ts")).toContain(`Authorization.require({ scopes: ["hello:call"] })`)
    expect(read(dir, ".env.example")).toMatch(/^JWT_ISSUER=/m)
    expect(read(dir, "test/server.test.ts")).toContain("Authentication.contextOf")
  })

  it("--emcee-source writes file: dependencies on the checkout's packages", async () => {
    const dir = path.join(root, "local")
    expect((await emcee(dir, "--template", "auth", "--no-install", "--emcee-source", repoRoot)).code).toBe(0)
    const pkg = readJson(dir, "package.json") as { dependencies: Record<string, string>; devDependencies: Record<string, string> }
    for (const [name, spec] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) {
      if (!name.startsWith("@emcee/")) continue
      expect(spec).toBe(`file:${repoRoot}/packages/${name.slice("@emcee/".length)}`)
      expect(fs.existsSync(path.join(repoRoot, "packages", name.slice("@emcee/".length), "package.json"))).toBe(true)
    }
  })
})

describe("emcee init --docker --k8s", () => {
  for (const template of Init.templates) {
    it(`${template}: the Dockerfile, compose.yaml and k8s/*.yaml are valid and say what they must`, async () => {
      const dir = path.join(root, template)
      expect((await emcee(dir, "--template", template, "--docker", "--k8s", "--no-install")).code).toBe(0)
      const dockerfile = read(dir, "Dockerfile")
      expect(dockerfile).toMatch(/^FROM node:20-slim AS build$/m)
      expect(dockerfile).toMatch(/^FROM node:20-slim AS runtime$/m)
      // The runtime stage runs as the non-root node user, with a HEALTHCHECK on /health made with node's fetch.
      const runtime = dockerfile.slice(dockerfile.indexOf("AS runtime"))
      expect(runtime).toMatch(/^USER node$/m)
      const healthcheck = /^HEALTHCHECK .*\\\n\s+CMD (.*)$/m.exec(runtime)
      expect(healthcheck).not.toBeNull()
      const argv = JSON.parse(healthcheck![1]!) as Array<string>
      expect(argv[0]).toBe("node")
      expect(argv[2]).toContain("/health")
      expect(healthcheck![0]).not.toContain("curl")
      expect(dockerfile).not.toMatch(/apt-get|curl -/)
      const start = template === "http" || template === "auth"
        ? ["dist/main.js"]
        : ["node_modules/@emcee/cli/dist/bin.js", "serve", template === "folder" ? "src" : "dist/server.js"]
      expect(JSON.parse(/^CMD (\[.*\])$/m.exec(runtime)![1]!)).toEqual(["node", ...start])
      expect(read(dir, ".dockerignore")).toMatch(/^node_modules$/m)

      const [compose] = parseYaml(dir, "compose.yaml")
      const service = compose!.services[template]
      expect(service).toMatchObject({ build: ".", ports: ["3000:3000"], restart: "unless-stopped" })
      expect(service.healthcheck.test.slice(0, 3)).toEqual(["CMD", "node", "-e"])
      expect(Object.keys(service.environment)).toContain(template === "http" || template === "auth" ? "PORT" : "EMCEE_PORT")
      if (template === "auth") {
        expect(service.environment.JWT_ISSUER).toMatch(/^\$\{JWT_ISSUER:\?/)
        // Passed from the shell only when set: an empty JWT_SECRET beside JWT_JWKS_URL would be two keys.
        expect(service.environment.JWT_SECRET).toBeNull()
      }

      const [deployment] = parseYaml(dir, "k8s/deployment.yaml")
      expect(deployment).toMatchObject({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: template } })
      expect(deployment!.spec.selector.matchLabels).toEqual(deployment!.spec.template.metadata.labels)
      expect(deployment!.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 })
      const container = deployment!.spec.template.spec.containers[0]
      expect(container.livenessProbe.httpGet).toEqual({ path: "/health", port: "http" })
      expect(container.readinessProbe.httpGet).toEqual({ path: "/health/ready", port: "http" })
      expect(container.resources).toMatchObject({ requests: { cpu: expect.any(String), memory: expect.any(String) }, limits: { memory: expect.any(String) } })
      expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } })
      if (template === "auth") expect(container.envFrom).toEqual([{ secretRef: { name: "auth-auth" } }])

      const [svc] = parseYaml(dir, "k8s/service.yaml")
      expect(svc).toMatchObject({ apiVersion: "v1", kind: "Service", spec: { selector: deployment!.spec.selector.matchLabels, ports: [{ targetPort: "http" }] } })
      const [pdb] = parseYaml(dir, "k8s/pdb.yaml")
      expect(pdb).toMatchObject({ apiVersion: "policy/v1", kind: "PodDisruptionBudget", spec: { minAvailable: 1, selector: { matchLabels: deployment!.spec.selector.matchLabels } } })
    })
  }

  it("the HEALTHCHECK script exits 0 when /health answers 200 and 1 otherwise (node's fetch, no curl)", async () => {
    const server = createServer((req, res) => {
      res.writeHead(req.url === "/health" ? 200 : 404).end("{\"status\":\"ok\"}")
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const port = (server.address() as AddressInfo).port
    try {
      const check = (env: Record<string, string>) =>
        run(process.execPath, ["-e", healthCheckScript("PORT")], { env: { ...process.env, ...env } }).then(() => 0, (e: { code: number }) => e.code)
      expect(await check({ PORT: String(port) })).toBe(0)
      await new Promise<void>((resolve) => server.close(() => resolve()))
      expect(await check({ PORT: String(port) })).toBe(1)
    } finally {
      server.close()
    }
  })
})

describe("emcee init: refusals (one line, exit 1)", () => {
  it("refuses a folder that is not empty without --force, naming it; --force writes into it", async () => {
    const dir = path.join(root, "taken")
    fs.mkdirSync(dir)
    fs.writeFileSync(path.join(dir, "notes.txt"), "mine")
    const refused = await emcee(dir, "--no-install")
    expect(refused.code).toBe(1)
    expect(refused.stderr).toBe(`emcee init: ${dir} is not empty: choose a new folder, or pass --force to write into it (files of the same names are replaced)`)
    expect(fs.readdirSync(dir)).toEqual(["notes.txt"])
    const forced = await emcee(dir, "--no-install", "--force")
    expect(forced.code).toBe(0)
    expect(read(dir, "notes.txt")).toBe("mine")
    expect(fs.existsSync(path.join(dir, "src/server.ts"))).toBe(true)
  })

  it("writes into an empty folder that exists", async () => {
    const dir = path.join(root, "empty")
    fs.mkdirSync(dir)
    expect((await emcee(dir, "--no-install")).code).toBe(0)
  })

  it("refuses an unknown template, naming the valid ones", async () => {
    const result = await emcee(path.join(root, "x"), "--template", "fancy", "--no-install")
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(`emcee init: unknown template "fancy" (--template): choose one of minimal, folder, http, auth`)
    expect(fs.existsSync(path.join(root, "x"))).toBe(false)
  })

  it("refuses gateway: it comes with the gateway package", async () => {
    const result = await emcee(path.join(root, "gw"), "--template", "gateway", "--no-install")
    expect(result.code).toBe(1)
    expect(result.stderr.split("\n")).toHaveLength(1)
    expect(result.stderr).toMatch(/^emcee init: the gateway template comes with the gateway package/)
  })

  it("refuses a file as the folder, an --emcee-source that is no checkout, and a bad --name", async () => {
    const file = path.join(root, "file.txt")
    fs.writeFileSync(file, "")
    expect(await emcee(file, "--no-install")).toMatchObject({ code: 1, stderr: `emcee init: ${file} is a file: give the path of a new or empty folder` })
    const source = await emcee(path.join(root, "a"), "--no-install", "--emcee-source", root)
    expect(source.code).toBe(1)
    expect(source.stderr).toBe(`emcee init: --emcee-source ${root} is not an emcee checkout (no packages/core/package.json there): give the root folder of a clone of emcee`)
    const name = await emcee(path.join(root, "b"), "--no-install", "--name", "Bad Name")
    expect(name.code).toBe(1)
    expect(name.stderr).toMatch(/^emcee init: --name "Bad Name" is not a valid package name/)
  })
})

describe("emcee init: npm install", () => {
  it("runs npm install with progress on stderr; a failed install names the folder and npm's exit code", async () => {
    // A real npm that cannot succeed, fast: offline, with an empty cache.
    const saved = { offline: process.env.npm_config_offline, cache: process.env.npm_config_cache }
    process.env.npm_config_offline = "true"
    process.env.npm_config_cache = path.join(root, "npm-cache")
    const progress: Array<string> = []
    try {
      const dir = path.join(root, "offline")
      const exit = await Effect.runPromiseExit(Init.init({ dir, progress: { write: (text) => void progress.push(text), isTTY: false } }))
      expect(Exit.isFailure(exit)).toBe(true)
      const failure = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined
      expect(failure).toBeInstanceOf(CliError)
      expect(failure?.exitCode).toBe(1)
      expect(failure?.message).toMatch(new RegExp(`^npm install failed in ${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\(exit code \\d+\\): `))
      expect(progress.join("")).toMatch(/^installing dependencies \(npm install\) \.*\n$/)
      // The project is there: fix the network, run npm install again.
      expect(fs.existsSync(path.join(dir, "package.json"))).toBe(true)
    } finally {
      if (saved.offline === undefined) delete process.env.npm_config_offline
      else process.env.npm_config_offline = saved.offline
      if (saved.cache === undefined) delete process.env.npm_config_cache
      else process.env.npm_config_cache = saved.cache
    }
  }, 60_000)
})

/**
 * The project's node_modules as links into this workspace, instead of an
 * `npm install` (slow, and the registry may be unreachable): each dependency
 * the generated package.json names, @emcee/* to packages/*. Node and
 * TypeScript follow the links to their real paths, so the workspace's own
 * node_modules serves the rest.
 */
const linkNodeModules = (dir: string) => {
  const pkg = readJson(dir, "package.json") as { dependencies: Record<string, string>; devDependencies: Record<string, string> }
  for (const name of Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })) {
    const link = path.join(dir, "node_modules", name)
    fs.mkdirSync(path.dirname(link), { recursive: true })
    const target = name.startsWith("@emcee/")
      ? path.join(repoRoot, "packages", name.slice("@emcee/".length))
      : path.join(repoRoot, "node_modules", name)
    expect(fs.existsSync(target), `${name} is in the workspace`).toBe(true)
    fs.symlinkSync(target, link, "dir")
  }
}

// The packages' dist/ (built by `npm run build`) is what a project depending on them compiles and runs against.
const built = ["core", "transport", "testing", "cli"].every((p) => fs.existsSync(path.join(repoRoot, "packages", p, "dist", "index.d.ts")))
const bin = path.join(repoRoot, "packages/cli/dist/bin.js")

describe.skipIf(!built)("emcee init end to end (against this checkout)", () => {
  it("the folder template compiles, its test passes, and emcee serve lists its tools to a real client", async () => {
    const dir = path.join(root, "e2e-server")
    const result = await emcee(dir, "--template", "folder", "--emcee-source", repoRoot, "--no-install")
    expect(result.code).toBe(0)
    linkNodeModules(dir)

    await run(process.execPath, [path.join(dir, "node_modules/typescript/bin/tsc"), "--noEmit", "-p", "tsconfig.json"], { cwd: dir })
    const tests = await run(process.execPath, [path.join(dir, "node_modules/vitest/vitest.mjs"), "run", "--reporter=json"], {
      cwd: dir,
      // A fresh vitest: none of this run's variables (VITEST, VITEST_POOL_ID, ...).
      env: Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("VITEST") && key !== "NODE_OPTIONS")),
      maxBuffer: 16 * 1024 * 1024
    })
    const report = JSON.parse(tests.stdout.slice(tests.stdout.indexOf("{"))) as { numPassedTests: number; numFailedTests: number; success: boolean }
    expect(report).toMatchObject({ success: true, numFailedTests: 0, numPassedTests: 3 })

    // emcee serve (the built binary) on the generated folder: TypeScript served directly (spec basic/transports "stdio").
    const tools = await Effect.gen(function*() {
      const transport = yield* StdioClientTransport.make({ command: process.execPath, args: [bin, "serve", "src"], cwd: dir, stderr: "pipe" })
      const client = yield* McpClient.make({ transport, clientInfo: { name: "init-test", version: "0" } })
      const listed = yield* client.listAllTools()
      const called = yield* client.callTool("hello", { name: "Ada" })
      return { names: listed.map((tool) => tool.name), called }
    }).pipe(Effect.scoped, Effect.runPromise)
    expect(tools.names).toEqual(["hello"])
    expect(tools.called.content).toEqual([{ type: "text", text: "Hello, Ada!" }])
  }, 120_000)
})
