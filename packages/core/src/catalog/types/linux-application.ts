import type { ResourceTypeInfo } from "../../model/catalog-schema.js";
import { LINUX_COLOR, OUTPUT_TRACES, PROCESS_ATTRIBUTES, RUNS_ON_HOST } from "./linux-shared.js";

export const LINUX_APPLICATION: ResourceTypeInfo = {
  rtype: "linux::Application",
  backend: "linux",
  help: "A command run detached on a Linux host, with optional sources, files, packages, build and install steps.",
  attributes: [
    {
      name: "command",
      type: "string",
      help: "Shell command to run; may use ${SRC} ${BIN} ${LIB} ${SHARE} ${APP_HOME} ${RUN_HOME} ${NODE_HOME} ${EXP_HOME}.",
      required: true,
      flags: { design: true },
    },
    { name: "sources", type: "string", help: "Local paths uploaded to ${SRC} (separated by ;).", flags: { design: true } },
    { name: "files", type: "string", help: "Local paths uploaded to ${APP_HOME} (separated by ;).", flags: { design: true } },
    { name: "build", type: "string", help: "Shell command run once in ${SRC} before install.", flags: { design: true } },
    { name: "install", type: "string", help: "Shell command run once after build.", flags: { design: true } },
    { name: "stdin", type: "string", help: "Text given to the command on its standard input.", flags: { design: true } },
    ...PROCESS_ATTRIBUTES,
  ],
  traces: OUTPUT_TRACES,
  anyFileTrace: true,
  roles: [],
  connections: [RUNS_ON_HOST],
  finishes: "always",
  look: { abbreviation: "AP", group: "linux", summary: "{command}", color: LINUX_COLOR },
  charts: [],
  platform: "node",
};
