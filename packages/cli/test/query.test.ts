/**
 * `emcee list|get|call|read|prompt|inspect <target>` in-process against real
 * servers: the everything example over stdio (a child process) and over
 * Streamable HTTP (a child process listening on a free port), in both
 * revisions; exit codes 3 (cannot start / reach), 4 (JSON-RPC error), 5
 * (tool `isError`); argument coercion by the tool's inputSchema; `--json`
 * parseable; elicitation declined when not interactive.
 */
import { Command } from "@effect/cli"
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Call from "../src/Call.js"
import * as Get from "../src/Get.js"
import * as Inspect from "../src/Inspect.js"
import * as TargetArgs from "../src/internal/targetArgs.js"
import * as List from "../src/List.js"
import * as PromptCommand from "../src/Prompt.js"
import * as Read from "../src/Read.js"
import { runner } from "./support/runCommand.js"

const root = fileURLToPath(new URL("../../..", import.meta.url))
const everything = path.join(root, "examples/everything/dist/main.js")
const built = fs.existsSync(everything)

/** Runs `emcee ...args` in-process as bin.ts does: stdout, stderr and the exit code. */
const emcee = runner(Command.make("emcee").pipe(Command.withSubcommands([List.command, Get.command, Call.command, Read.command, PromptCommand.command, Inspect.command])))

/** The everything example over Streamable HTTP on a free port. */
let http: { readonly child: ChildProcess; readonly url: string } | undefined
let authServer: { readonly url: string; readonly close: () => void } | undefined

beforeAll(async () => {
  if (!built) return
  const child = spawn(process.execPath, [everything, "--http", "--port", "0"], { stdio: ["ignore", "ignore", "pipe"] })
  const url = await new Promise<string>((resolve, reject) => {
    let text = ""
    const timer = setTimeout(() => reject(new Error(`the everything server did not start: ${text}`)), 20_000)
    child.stderr!.on("data", (chunk: Buffer) => {
      text += chunk.toString()
      const match = /listening on (\S+)/.exec(text)
      if (match !== null) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    })
  })
  http = { child, url }
  // A real HTTP server that wants credentials: every request gets 401 unless it carries the right bearer token.
  const server = createServer((req, res) => {
    req.resume()
    res.writeHead(401, { "content-type": "text/plain", "www-authenticate": "Bearer" }).end("unauthorized")
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  authServer = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, close: () => server.close() }
}, 30_000)

afterAll(() => {
  http?.child.kill("SIGTERM")
  authServer?.close()
})

const stdio = ["--", process.execPath, everything] as const

describe("argument reading (no server)", () => {
  it("splits a one-argument command line like a shell (quotes, escapes)", () => {
    expect(TargetArgs.splitCommandLine("node  'my dir/server.js' --name \"a b\" c\\ d")).toEqual({
      ok: true,
      value: ["node", "my dir/server.js", "--name", "a b", "c d"]
    })
    expect(TargetArgs.splitCommandLine("node 'oops").ok).toBe(false)
  })

  it("coerces --arg values by the inputSchema (spec server/tools \"Tool\" inputSchema)", () => {
    const schema = {
      type: "object",
      properties: {
        n: { type: "number" },
        i: { type: "integer" },
        b: { type: "boolean" },
        list: { type: "array", items: { type: "string" } },
        obj: { type: "object" },
        s: { type: "string" },
        maybe: { type: ["string", "null"] },
        choice: { anyOf: [{ type: "integer" }, { type: "boolean" }] }
      }
    }
    const pairs = [["n", "1.5"], ["i", "2"], ["b", "true"], ["list", "[\"x\"]"], ["obj", "{\"k\":1}"], ["s", "42"], ["maybe", "7"], [
      "choice",
      "false"
    ], ["unknown", "3"]] as const
    expect(TargetArgs.coerceArguments(pairs, schema)).toEqual({
      ok: true,
      value: { n: 1.5, i: 2, b: true, list: ["x"], obj: { k: 1 }, s: "42", maybe: "7", choice: false, unknown: "3" }
    })
    const bad = TargetArgs.coerceArguments([["n", "abc"]], schema)
    expect(bad.ok).toBe(false)
    expect(bad.ok ? "" : bad.message).toContain("--arg n=abc")
  })

  it("refuses a --header without a colon, naming the flag", () => {
    const r = TargetArgs.parseHeaders(["Authorization Bearer x"])
    expect(r.ok ? "" : r.message).toContain("--header")
  })
})

describe.runIf(built)("emcee list|get|call|read|prompt against the everything example", { timeout: 60_000 }, () => {
  for (const protocol of ["2025-11-25", "2026-07-28"] as const) {
    describe(`protocol ${protocol}`, () => {
      it("list over stdio prints aligned tables of every kind (spec server/tools, server/resources, server/prompts listing)", async () => {
        const { code, stdout, stderr } = await emcee("list", "--protocol", protocol, ...stdio)
        expect(stderr).toBe("")
        expect(code).toBe(0)
        expect(stdout).toMatch(/^tools \(\d+\)\nNAME +DESCRIPTION/m)
        expect(stdout).toMatch(/^echo +Echo — Echoes its input back$/m)
        expect(stdout).toContain("resource templates (")
        expect(stdout).toMatch(/^test:\/\/template\/\{id\}\/data +template/m)
        expect(stdout).toMatch(/^test_prompt_with_arguments +arg1 arg2/m)
        for (const line of stdout.split("\n")) expect(line.length).toBeLessThanOrEqual(80)
      })

      it("list over HTTP with --json prints the raw lists", async () => {
        const { code, stdout } = await emcee("list", http!.url, "tools", "--json", "--protocol", protocol)
        expect(code).toBe(0)
        const lists = JSON.parse(stdout) as { tools: Array<{ name: string; inputSchema: unknown }> }
        expect(Object.keys(lists)).toEqual(["tools"])
        expect(lists.tools.find((t) => t.name === "echo")?.inputSchema).toMatchObject({ type: "object", required: ["message"] })
      })

      it("call coerces --arg values by the tool's inputSchema (numbers for test_structured_output) and prints structuredContent", async () => {
        const { code, stdout } = await emcee("call", http!.url, "test_structured_output", "--arg", "a=2", "--arg", "b=3.5", "--protocol", protocol)
        expect(code).toBe(0)
        expect(stdout).toContain("structuredContent:")
        expect(stdout).toContain("\"sum\": 5.5")
      })

      it("call with a command after -- and --json prints the whole result", async () => {
        const { code, stdout } = await emcee("call", "echo", "--arg", "message=42", "--json", "--protocol", protocol, ...stdio)
        expect(code).toBe(0)
        // "42" stays a string: the schema says string (spec server/tools "Tool" inputSchema).
        expect(JSON.parse(stdout)).toMatchObject({ content: [{ type: "text", text: "Echo: 42" }] })
      })

      it("call of a tool that returns isError prints the result and exits 5 (spec server/tools \"Error Handling\")", async () => {
        const { code, stdout, stderr } = await emcee("call", `${process.execPath} ${everything}`, "test_error_handling", "--protocol", protocol)
        expect(code).toBe(5)
        expect(stdout).toContain("intentionally returns an error")
        expect(stderr).toContain("emcee call: the tool test_error_handling returned an error")
      })

      it("call of an unknown tool exits 4 with the JSON-RPC code and message", async () => {
        const { code, stderr } = await emcee("call", http!.url, "no_such_tool", "--protocol", protocol)
        expect(code).toBe(4)
        expect(stderr).toMatch(/emcee call: http:\/\/.+ answered error -?\d+: .*no_such_tool/)
      })

      it("declines elicitation when stdin is not a terminal, and says so on stderr (spec client/elicitation \"Response Actions\")", async () => {
        const { code, stdout, stderr } = await emcee("call", http!.url, "test_elicitation", "--arg", "message=Who are you?", "--protocol", protocol)
        expect(code).toBe(0)
        expect(stdout).toContain("action=decline")
        expect(stderr).toContain("declined because stdin is not a terminal")
      })

      it("refuses sampling without --sampling-reply, and answers with it (spec client/sampling \"Error Handling\")", async () => {
        const refused = await emcee("call", http!.url, "test_sampling", "--arg", "prompt=hi", "--protocol", protocol)
        expect(refused.code).not.toBe(0)
        expect(refused.stderr).toContain("--sampling-reply")
        const answered = await emcee("call", http!.url, "test_sampling", "--arg", "prompt=hi", "--sampling-reply", "forty-two", "--protocol", protocol)
        expect(answered.code).toBe(0)
        expect(answered.stdout).toContain("LLM response: forty-two")
      })

      it("get tool shows the input and output schemas and annotations", async () => {
        const { code, stdout } = await emcee("get", http!.url, "tool", "test_structured_output", "--protocol", protocol)
        expect(code).toBe(0)
        expect(stdout).toContain("tool test_structured_output")
        expect(stdout).toContain("annotations: readOnlyHint")
        expect(stdout).toMatch(/input schema:\n {2}\{/)
        expect(stdout).toMatch(/output schema:\n {2}\{/)
        const json = await emcee("get", http!.url, "prompt", "test_prompt_with_arguments", "--json", "--protocol", protocol)
        expect(JSON.parse(json.stdout)).toMatchObject({ name: "test_prompt_with_arguments", arguments: [{ name: "arg1" }, { name: "arg2" }] })
      })

      it("read prints text as is and describes a blob, or writes its bytes with --out (spec server/resources \"Reading Resources\")", async () => {
        const text = await emcee("read", http!.url, "test://static-text", "--protocol", protocol)
        expect(text.code).toBe(0)
        expect(text.stdout).toBe("This is the content of the static text resource.")
        const blob = await emcee("read", http!.url, "test://static-binary", "--protocol", protocol)
        expect(blob.stdout).toMatch(/^\[image\/png \d+ bytes\] test:\/\/static-binary$/)
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "emcee-read-"))
        const file = path.join(dir, "image.png")
        const out = await emcee("read", http!.url, "test://static-binary", "--out", file, "--protocol", protocol)
        expect(out.code).toBe(0)
        expect(fs.readFileSync(file).subarray(1, 4).toString()).toBe("PNG")
        fs.rmSync(dir, { recursive: true, force: true })
      })

      it("prompt renders the messages under their roles (spec server/prompts \"Getting a Prompt\")", async () => {
        const { code, stdout } = await emcee("prompt", http!.url, "test_prompt_with_arguments", "--arg", "arg1=a", "--arg", "arg2=b", "--protocol", protocol)
        expect(code).toBe(0)
        expect(stdout).toBe("A prompt with required arguments\n\n[user]\nPrompt with arguments: arg1='a', arg2='b'")
      })
    })
  }

  it("the default protocol probes and speaks what the server offers; inspect takes a positional URL", async () => {
    const { code, stdout } = await emcee("inspect", http!.url, "--json")
    expect(code).toBe(0)
    const report = JSON.parse(stdout) as { protocolVersion: string; tools: Array<{ name: string }> }
    expect(["2025-11-25", "2026-07-28"]).toContain(report.protocolVersion)
    expect(report.tools.map((t) => t.name)).toContain("echo")
  })

  it("inspect still takes --url and a command after --", async () => {
    const viaUrl = await emcee("inspect", "--url", http!.url)
    expect(viaUrl.code).toBe(0)
    expect(viaUrl.stdout).toContain("emcee Everything")
    const viaCommand = await emcee("inspect", ...stdio)
    expect(viaCommand.code).toBe(0)
    expect(viaCommand.stdout).toMatch(/tools \(\d+\)/)
  })

  it("get and list take their operands before a command after --", async () => {
    const { code, stdout } = await emcee("get", "tool", "echo", "--json", ...stdio)
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toMatchObject({ name: "echo", annotations: { readOnlyHint: true } })
    const missing = await emcee("get", http!.url, "tool", "nope")
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain("the server has no tool \"nope\"; it has: ")
  })

  it("bad --json-args is exit 1 naming the flag, before any server is started", async () => {
    const { code, stderr } = await emcee("call", "/no/such/server", "echo", "--json-args", "{not json")
    expect(code).toBe(1)
    expect(stderr).toContain("--json-args is not valid JSON")
  })

  it("an --arg value that is not JSON where the schema wants a number is exit 1 naming it", async () => {
    const { code, stderr } = await emcee("call", http!.url, "test_structured_output", "--arg", "a=two", "--arg", "b=1")
    expect(code).toBe(1)
    expect(stderr).toContain("--arg a=two")
  })
})

describe.runIf(built)("exit code 3: the server cannot be started or reached", { timeout: 60_000 }, () => {
  it("a command that does not exist names it and says what to do", async () => {
    const { code, stderr } = await emcee("list", "--", "emcee-no-such-server-binary", "--flag")
    expect(code).toBe(3)
    expect(stderr).toContain("emcee list: cannot start the server emcee-no-such-server-binary --flag")
    expect(stderr).toContain("ENOENT")
    expect(stderr).toContain("absolute path")
    expect(stderr.split("\n")).toHaveLength(1)
  })

  it("a server that exits at once is reported with its stderr", async () => {
    const { code, stderr } = await emcee("list", `${process.execPath} -e "console.error('no database'); process.exit(1)"`)
    expect(code).toBe(3)
    expect(stderr).toContain("no database")
  })

  it("a closed port names the URL", async () => {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const port = (server.address() as AddressInfo).port
    await new Promise<void>((resolve) => server.close(() => resolve()))
    for (const protocol of ["auto", "2025-11-25", "2026-07-28"]) {
      const { code, stderr } = await emcee("call", `http://127.0.0.1:${port}/mcp`, "echo", "--protocol", protocol)
      expect(code, stderr).toBe(3)
      expect(stderr).toContain(`cannot reach http://127.0.0.1:${port}/mcp`)
    }
  })

  it("HTTP 401 says to give --bearer", async () => {
    for (const protocol of ["auto", "2025-11-25", "2026-07-28"]) {
      const { code, stderr } = await emcee("list", authServer!.url, "--protocol", protocol)
      expect(code, stderr).toBe(3)
      expect(stderr).toContain("HTTP 401")
      expect(stderr).toContain("--bearer")
    }
  })

  it("an unknown list kind and a bad --timeout are exit 1", async () => {
    expect((await emcee("list", http!.url, "widgets")).code).toBe(1)
    const bad = await emcee("list", http!.url, "--timeout", "soon")
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain("--timeout")
  })
})
