import type { Command } from "commander";
import { defineCommand, fillGroup, type Runtime } from "../cli/define.js";
import { UsageError } from "../cli/errors.js";

/** Command paths and their flags, read from the command tree so completion never goes stale. */
export function commandTable(program: Command): Map<string, string[]> {
  const table = new Map<string, string[]>();
  const visit = (command: Command, path: string) => {
    fillGroup(command);
    const flags = command.options.flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f)));
    const subcommands = command.commands.map((c) => c.name());
    table.set(path, [...subcommands, ...flags, "--profile", "--profile-store", "--env", "--help"]);
    for (const sub of command.commands) visit(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  visit(program, "");
  return table;
}

function bashScript(table: Map<string, string[]>): string {
  const cases = [...table].map(([path, words]) => `    "${path}") words="${words.join(" ")}" ;;`).join("\n");
  return `# bash completion for knit; load with: source <(knit completion bash)
_knit_complete() {
  local cur path i word
  cur="\${COMP_WORDS[COMP_CWORD]}"
  path=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    [[ "$word" == -* ]] && continue
    case "$path" in
${[...table.keys()].map((p) => `      "${p}") ;;`).join("\n")}
    esac
    if _knit_has_path "\${path:+$path }$word"; then path="\${path:+$path }$word"; fi
  done
  local words=""
  case "$path" in
${cases}
  esac
  if [[ "$cur" != -* ]]; then words="$(printf '%s\\n' $words | grep -v '^-' | tr '\\n' ' ')"; fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
  [[ \${#COMPREPLY[@]} -eq 0 ]] && COMPREPLY=($(compgen -f -- "$cur"))
  return 0
}
_knit_has_path() {
  case "$1" in
${[...table.keys()].filter((p) => p).map((p) => `    "${p}") return 0 ;;`).join("\n")}
  esac
  return 1
}
complete -o filenames -F _knit_complete knit
`;
}

function zshScript(table: Map<string, string[]>): string {
  return `#compdef knit
# zsh completion for knit; load with: source <(knit completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bashScript(table)}`;
}

export function registerCompletion(program: Command, runtime: Runtime): void {
  defineCommand(program, runtime, {
    name: "completion <bash|zsh>",
    summary: "print a shell completion script",
    examples: ["knit completion bash > ~/.local/share/bash-completion/completions/knit", "knit completion zsh > \"${fpath[1]}/_knit\""],
    run: async (context, [shell]) => {
      const table = commandTable(program);
      if (shell === "bash") await context.io.print(bashScript(table));
      else if (shell === "zsh") await context.io.print(zshScript(table));
      else throw new UsageError(`unsupported shell '${shell}': choose bash or zsh`);
    },
  });
}
