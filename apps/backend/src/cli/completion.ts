import type { Command } from "commander";

/**
 * A bash completion script for a commander program, generated from its commands and options so
 * it never lists an option the CLI does not have. Words after an option that takes a value, and
 * plain words, complete as file names.
 */
export function bashCompletion(program: Command): string {
  const name = program.name();
  const fn = `_${name.replace(/\W/g, "_")}_complete`;
  const commands = program.commands.map((c) => c.name());
  const cases = program.commands.map((c) => {
    const options = [...c.options.flatMap((o) => (o.long ? [o.long] : [])), "--help"];
    const valued = c.options.filter((o) => o.long && (o.required || o.optional)).map((o) => o.long);
    return `    ${c.name()}) opts="${options.join(" ")}" valued="${valued.join(" ")}" ;;`;
  });
  return `# bash completion for ${name}: source <(${name} completion), or save it in /etc/bash_completion.d/${name}
${fn}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} opts="" valued=""
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${[...commands, "help"].join(" ")}" -- "$cur"))
    return
  fi
  case \${COMP_WORDS[1]} in
${cases.join("\n")}
    help) COMPREPLY=($(compgen -W "${commands.join(" ")}" -- "$cur")); return ;;
  esac
  if [[ $cur == -* && " $valued " != *" $prev "* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o filenames -F ${fn} ${name}
`;
}
