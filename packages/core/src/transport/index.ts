export * from "./types.js";
export { shq, shqAll } from "./quote.js";
export { LocalTransport } from "./local.js";
export { SshTransport, type SshOptions } from "./ssh.js";
export { ShellChannel } from "./shell-channel.js";
export { FileFollower, ExitEvents, followScript } from "./follower.js";
export { acquireTransport, releaseTransport, isLocalHost, type HostSettings } from "./pool.js";
export { checkHostKey, fingerprint, knownHostsName, type StrictHostKeyChecking } from "./known-hosts.js";
