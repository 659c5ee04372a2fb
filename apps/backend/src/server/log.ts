/** Where the server writes its log lines (never with a credential value). */
export type Logger = (line: string) => void;

export const consoleLogger: Logger = (line) => {
  console.log(`${new Date().toISOString()} ${line}`);
};

export const silentLogger: Logger = () => {};
