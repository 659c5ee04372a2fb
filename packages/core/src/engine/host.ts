import type { Transport } from "../transport/types.js";

/** Where a run lives on a host (NEPI's layout, per run): `~/.nepi/<expId>/<runId>/<guid>/`. */
export interface HostPaths {
  /** `~/.nepi` */
  root: string;
  /** `~/.nepi/usr`: ${BIN} ${LIB} ${SHARE} shared by the experiments on the host. */
  usr: string;
  /** ${EXP_HOME} */
  exp: string;
  /** ${RUN_HOME} */
  run: string;
  /** ${NODE_HOME} */
  node: string;
  /** The events file the host's event channel follows. */
  events: string;
}

/** Exits of the commands this run started on a host, pushed by the host. */
export interface ExitChannel {
  /** Calls `onExit` once the command of resource `guid` exits (at once if it already did). */
  listen(guid: number, onExit: (code: number) => void, onLost?: (error: Error) => void): () => void;
  /** Drops what is known of `guid`'s exit (before starting it again). */
  forget(guid: number): void;
}

/**
 * What a resource with the `host` role lends the resources that run on it, which reach it with
 * `ctx.host()` (never by casting its manager). The host ends, on release, whatever the resources
 * connected to it left running in their directories.
 */
export interface Host {
  /** How to run commands and move files there. */
  readonly transport: Transport;
  readonly isConnected: boolean;
  readonly paths: HostPaths;
  readonly events: ExitChannel;
  /** The address other hosts reach it at. */
  readonly address: string;
  /** The address `from` reaches it at, when it has several (a router of an emulated network). */
  addressSeenFrom?(from: Host): string;
  /**
   * Resolves the placeholders of the host's network in an attribute value (`${ip:LABEL}`: the
   * address of the emulated host labelled LABEL); a host without any leaves the text as it is.
   */
  expand?(text: string): string;
  /** ${APP_HOME} of resource `guid`: where its files and processes live on this host (`<run>/<guid>`). */
  homeOf(guid: number): string;
  /** Installs missing Debian packages, one install at a time on this host. */
  install(packages: string[], sudo: boolean): Promise<void>;
}

/** What `reach()` may ask of a new connection (a shared one that is already open is kept as it is). */
export interface ReachOptions {
  /** Connect timeout, ms. */
  connectTimeout?: number;
  /** Connection attempts before the host counts as unreachable. */
  attempts?: number;
}

/** A host's transport lent outside a run (one command on many hosts, checks, terminals). */
export interface HostReach {
  readonly transport: Transport;
  /** Gives the transport back; the last user of a shared connection closes it. */
  release(): Promise<void>;
}
