import { registerResourceManager } from "../../catalog/registry.js";
import { LinuxApplicationManager } from "./application.js";
import { LinuxNodeManager } from "./node.js";
import { LinuxIperf3Manager, LinuxPingManager, LinuxTcpdumpManager, LinuxTracerouteManager } from "./tools.js";

export { LinuxApplicationManager, LinuxNodeManager, LinuxIperf3Manager, LinuxPingManager, LinuxTcpdumpManager, LinuxTracerouteManager };

registerResourceManager("linux::Node", (ctx) => new LinuxNodeManager(ctx));
registerResourceManager("linux::Application", (ctx) => new LinuxApplicationManager(ctx));
registerResourceManager("linux::Ping", (ctx) => new LinuxPingManager(ctx));
registerResourceManager("linux::Traceroute", (ctx) => new LinuxTracerouteManager(ctx));
registerResourceManager("linux::Tcpdump", (ctx) => new LinuxTcpdumpManager(ctx));
registerResourceManager("linux::Iperf3", (ctx) => new LinuxIperf3Manager(ctx));
