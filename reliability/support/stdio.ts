/**
 * A line client of a stdio MCP server process (spec basic/transports
 * "stdio"): writes one message per line, reads stdout line by line and
 * records every line, whether it parsed as JSON, and the responses by id.
 */
import type { Proc } from "./processes.js"
import { initializeRequest, type JsonRpcMessage } from "./http.js"

export interface Line {
  readonly raw: string
  /** The parsed message, or undefined when the line is not JSON. */
  readonly message: JsonRpcMessage | undefined
}

export class StdioClient {
  readonly lines: Array<Line> = []
  /** Responses by id (JSON-encoded id as the key); every response seen, so duplicates show. */
  readonly responses = new Map<string, Array<JsonRpcMessage>>()
  private partial = ""
  private waiters: Array<() => void> = []
  private nextId = 1

  /** `slowReadMillis`: a slow reader, pausing stdout this long after every chunk. */
  constructor(readonly proc: Proc, slowReadMillis = 0) {
    const out = proc.child.stdout!
    out.setEncoding("utf8")
    out.on("data", (chunk: string) => {
      this.onData(chunk)
      if (slowReadMillis > 0) {
        out.pause()
        setTimeout(() => out.resume(), slowReadMillis)
      }
    })
  }

  private onData(chunk: string) {
    this.partial += chunk
    let newline = this.partial.indexOf("\n")
    while (newline !== -1) {
      const raw = this.partial.slice(0, newline)
      this.partial = this.partial.slice(newline + 1)
      let message: JsonRpcMessage | undefined
      try {
        message = JSON.parse(raw) as JsonRpcMessage
      } catch {
        message = undefined
      }
      this.lines.push({ raw, message })
      if (message !== undefined && message.method === undefined && ("result" in message || "error" in message)) {
        const key = JSON.stringify(message.id ?? null)
        const list = this.responses.get(key)
        if (list === undefined) this.responses.set(key, [message])
        else list.push(message)
      }
      newline = this.partial.indexOf("\n")
    }
    const waiters = this.waiters
    this.waiters = []
    for (const wake of waiters) wake()
  }

  /** Bytes received after the last newline (a truncated line, once the process has exited). */
  unterminated(): string {
    return this.partial
  }

  id(): number {
    return this.nextId++
  }

  /** Writes raw text (a newline is added unless `newline` is false). */
  write(text: string | Buffer, newline = true): void {
    const stdin = this.proc.child.stdin!
    stdin.write(text)
    if (newline) stdin.write("\n")
  }

  send(message: unknown): void {
    this.write(JSON.stringify(message))
  }

  /** Waits until `check` holds (re-checked on every line), or throws after `millis`. */
  async until(check: () => boolean, what: string, millis = 30_000): Promise<void> {
    if (check()) return
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        clearInterval(poll)
        reject(new Error(`timed out after ${millis} ms waiting for ${what}; stderr: ${this.proc.stderr().slice(-2000)}`))
      }, millis)
      const wake = () => {
        if (check()) {
          clearTimeout(timer)
          clearInterval(poll)
          resolve()
        } else this.waiters.push(wake)
      }
      // Also notice the process exiting.
      const poll = setInterval(() => {
        if (!this.proc.alive()) {
          clearTimeout(timer)
          clearInterval(poll)
          if (check()) resolve()
          else reject(new Error(`the server exited (${this.proc.exit()?.code}) while waiting for ${what}; stderr: ${this.proc.stderr().slice(-2000)}`))
        }
      }, 50)
      this.waiters.push(wake)
    })
  }

  /** The responses with this id so far. */
  responsesTo(id: unknown): ReadonlyArray<JsonRpcMessage> {
    return this.responses.get(JSON.stringify(id)) ?? []
  }

  /** Sends a request and waits for its response. */
  async request(method: string, params: unknown, millis = 30_000): Promise<JsonRpcMessage> {
    const id = this.id()
    this.send({ jsonrpc: "2.0", id, method, params })
    await this.until(() => this.responsesTo(id).length > 0, `the response to ${method} #${id}`, millis)
    return this.responsesTo(id)[0]!
  }

  async initialize(): Promise<void> {
    const id = this.id()
    this.send(initializeRequest(id))
    await this.until(() => this.responsesTo(id).length > 0, "the initialize response")
    const response = this.responsesTo(id)[0]!
    if (response.result === undefined) throw new Error(`initialize failed: ${JSON.stringify(response)}`)
    this.send({ jsonrpc: "2.0", method: "notifications/initialized" })
  }

  async echo(message: string): Promise<void> {
    const response = await this.request("tools/call", { name: "echo", arguments: { message } })
    const result = response.result as { content?: ReadonlyArray<{ text?: string }> } | undefined
    if (result?.content?.[0]?.text !== `Echo: ${message}`) throw new Error(`echo answered ${JSON.stringify(response).slice(0, 300)}`)
  }
}
