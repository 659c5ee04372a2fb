import type { AttributeValue } from "../../model/catalog-schema.js";
import type { ResourceState } from "../../model/states.js";
import type { Host } from "../../engine/host.js";
import type { ResourceContext, ResourceHandle } from "../../engine/resource-manager.js";
import { capabilityProbeScript, parseCapabilities, type KernelCapabilities } from "../../netns/capabilities.js";
import { removeNetworkScript } from "../../netns/batch.js";
import { shq } from "../../transport/quote.js";
import type { ExecResult } from "../../transport/types.js";
import { LinuxNodeManager, endLeftovers } from "../linux/node.js";
import { Batcher } from "./batcher.js";

/** Hosts whose leftovers one pass ends: its scripts (a directory and a marker per application) stay well below the 128 KiB of one argument. */
const LEFTOVER_HOSTS_PER_PASS = 250;

/** Who runs commands on a machine: root, or a user who needs sudo for the network. */
export interface MachineUser {
  root: boolean;
  name: string;
}

/**
 * A machine as a run's network uses it: its Host (transport, paths, event channel, installs),
 * who its user is, what its kernel can do (probed once per run), and the batcher its builds go
 * through.
 */
export class Machine {
  private user_?: Promise<MachineUser>;
  private caps_?: Promise<KernelCapabilities>;
  /** The first build also removes what an earlier controller of the same run left (a crash). */
  private cleared?: Promise<void>;
  readonly batcher: Batcher;
  private leftovers: Array<{ apps: ResourceHandle[]; done(error?: Error): void }> = [];
  private ending = false;

  constructor(
    readonly key: string,
    readonly host: Host,
    private readonly tag: string,
    /** The run's namespaces planned on this machine: its removals touch only these (machines may share /run). */
    private readonly namespaces: readonly string[],
  ) {
    this.batcher = new Batcher((script) => this.privileged(script));
  }

  get label(): string {
    return this.host.transport.label;
  }

  user(): Promise<MachineUser> {
    return (this.user_ ??= this.host.transport.exec("id -u; id -un").then((r) => {
      const [uid, name] = r.stdout.trim().split("\n");
      if (r.code !== 0 || !name) throw new Error(`${this.label}: cannot tell who runs commands: ${r.stderr.trim()}`);
      return { root: uid === "0", name };
    }));
  }

  /** Runs a script as root on the machine (sudo -n when its user is not root). */
  async privileged(script: string): Promise<ExecResult> {
    const { root } = await this.user();
    return this.host.transport.exec(root ? script : `sudo -n sh -c ${shq(script)}`);
  }

  /** What the machine's kernel can do for shaping, tried for real once per run. */
  capabilities(): Promise<KernelCapabilities> {
    return (this.caps_ ??= this.privileged(capabilityProbeScript()).then((r) => {
      try {
        return parseCapabilities(r.stdout);
      } catch (e) {
        throw new Error(`${this.label}: ${(e as Error).message}${r.stderr.trim() ? ` (${r.stderr.trim()})` : ""}`, {
          cause: e,
        });
      }
    }));
  }

  /** Ready to build: root or sudo checked, and the run's leftovers of an earlier controller removed. */
  prepare(): Promise<void> {
    return (this.cleared ??= (async () => {
      const r = await this.privileged(
        `command -v ip >/dev/null || { echo "ip (iproute2) is missing" >&2; exit 1; }; ${removeNetworkScript(this.tag, this.namespaces)}`,
      );
      if (r.code !== 0)
        throw new Error(
          `${this.label}: cannot build the network there (root or sudo without a password is needed): ${r.stderr.trim()}`,
        );
    })());
  }

  /**
   * Ends what the applications of a namespace host left running. The hosts released together
   * share one pass (their requests made while a pass runs make the next), not two processes
   * each: the machine has one process space for all its namespaces.
   */
  endLeftovers(apps: ResourceHandle[], runId: string): Promise<void> {
    if (apps.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.leftovers.push({ apps, done: (e) => (e ? reject(e) : resolve()) });
      if (!this.ending) {
        this.ending = true;
        queueMicrotask(() => void this.endQueued(runId));
      }
    });
  }

  private async endQueued(runId: string): Promise<void> {
    while (this.leftovers.length > 0) {
      const pass = this.leftovers.splice(0, LEFTOVER_HOSTS_PER_PASS);
      const error = await endLeftovers(
        this.host,
        pass.flatMap((p) => p.apps),
        runId,
      ).then(
        () => undefined,
        (e: Error) => e,
      );
      for (const p of pass) p.done(error);
    }
    this.ending = false;
  }

  /** Removes every namespace of the run from the machine. */
  async removeRun(): Promise<void> {
    await this.privileged(removeNetworkScript(this.tag, this.namespaces));
  }
}

/**
 * What the machine of a namespace host or switch is when none is connected: this machine, as a
 * `localhost` linux::Node would reach it (the same run directory and event channel layout). Its
 * context is the first user's, without attributes or connections of its own.
 */
class LocalMachineContext implements ResourceContext {
  constructor(private readonly of: ResourceContext) {}
  get guid(): number {
    return this.of.guid;
  }
  get rtype(): string {
    return this.of.rtype;
  }
  get label(): string | undefined {
    return this.of.label;
  }
  get expId(): string {
    return this.of.expId;
  }
  get runId(): string {
    return this.of.runId;
  }
  get runDir(): string {
    return this.of.runDir;
  }
  get runScope(): object {
    return this.of.runScope;
  }
  get attempt(): number {
    return this.of.attempt;
  }
  get signal(): AbortSignal {
    return this.of.signal;
  }
  get(_name: string): AttributeValue | undefined {
    return undefined;
  }
  state(): ResourceState {
    return this.of.state();
  }
  enabledTraces(): string[] {
    return [];
  }
  connected(): ResourceHandle[] {
    return [];
  }
  host(): Host {
    return this.of.host();
  }
  resource(guid: number): ResourceHandle {
    return this.of.resource(guid);
  }
  finished(): void {}
  failed(): void {}
  log(message: string): void {
    this.of.log(message);
  }
  outsidePool<T>(work: Promise<T>): Promise<T> {
    return this.of.outsidePool(work);
  }
}

/** This machine for a run's network: connected, its run directory made and its event channel followed. */
export async function localMachineHost(of: ResourceContext): Promise<{ host: Host; release(): Promise<void> }> {
  const node = new LinuxNodeManager(new LocalMachineContext(of));
  await node.discover();
  await node.provision();
  return { host: node, release: () => node.release() };
}
