// The one function of jstat (a CommonJS module that ships no types) the campaign statistics use.
declare module "jstat" {
  const jStat: { studentt: { inv(p: number, dof: number): number } };
  export default jStat;
}
