/**
 * What an armed condition edge says while its delay runs: "START in 1.4 s", to a tenth of a
 * second, never below zero ("START now" once it is over and the gate is about to open).
 */
export function countdownLabel(action: string, msLeft: number): string {
  if (msLeft <= 0) return `${action} now`;
  const tenths = Math.ceil(msLeft / 100);
  if (tenths >= 600) {
    const s = Math.ceil(msLeft / 1000);
    return `${action} in ${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  }
  return `${action} in ${(tenths / 10).toFixed(1)} s`;
}
