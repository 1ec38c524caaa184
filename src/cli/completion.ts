/**
 * `shipshape completion bash|zsh|fish`: prints a completion script for the shell. The scripts are
 * thin: each hands the command line to the hidden `shipshape __complete` (complete.ts), which knows
 * the commands and options (from the program itself), host and group names (from `-i`) and tags
 * (from the playbook), and falls back to the shell's own file name completion.
 */
import { Argument, type Command } from 'commander';
import { FILES, completions } from './complete.ts';

const BASH = `# shipshape completion for bash: eval "$(shipshape completion bash)" in ~/.bashrc
_shipshape() {
  local IFS=$'\\n' out w i cword=0 words=() cur
  # bash splits \`--limit web:db\` at the colon (COMP_WORDBREAKS): join such pieces back into one word.
  for ((i = 0; i < \${#COMP_WORDS[@]}; i++)); do
    w=\${COMP_WORDS[i]}
    if ((\${#words[@]})) && [[ $w == :* || \${words[-1]} == *: ]]; then words[-1]+=$w; else words+=("$w"); fi
    ((i == COMP_CWORD)) && cword=$((\${#words[@]} - 1))
  done
  cur=\${words[cword]}
  out=$(shipshape __complete -- "$cword" "\${words[@]}" 2>/dev/null) || return 0
  if [[ $out == ${FILES} ]]; then
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -f -- "$cur"))
  else
    COMPREPLY=($out)
    # bash replaces only the piece after the last colon.
    if [[ $cur == *:* ]]; then COMPREPLY=("\${COMPREPLY[@]#\"\${cur%:*}:\"}"); fi
  fi
}
complete -F _shipshape shipshape
`;

const ZSH = `#compdef shipshape
# shipshape completion for zsh: eval "$(shipshape completion zsh)" in ~/.zshrc (after compinit)
_shipshape() {
  local -a out
  out=("\${(@f)$(shipshape __complete -- $((CURRENT - 1)) "\${words[@]}" 2>/dev/null)}")
  if [[ "\${out[1]}" == ${FILES} ]]; then
    _files
  elif (( \${#out} )) && [[ -n "\${out[1]}" ]]; then
    compadd -Q -S '' -- "\${out[@]}"
  fi
}
compdef _shipshape shipshape
`;

const FISH = `# shipshape completion for fish: shipshape completion fish > ~/.config/fish/completions/shipshape.fish
function __shipshape_complete
    set -l tokens (commandline -opc) (commandline -ct)
    set -l out (shipshape __complete -- (math (count $tokens) - 1) $tokens 2>/dev/null)
    if test "$out" = ${FILES}
        __fish_complete_path (commandline -ct)
    else
        printf '%s\\n' $out
    end
end
complete -c shipshape -f -a '(__shipshape_complete)'
`;

export const COMPLETION_SCRIPTS = { bash: BASH, zsh: ZSH, fish: FISH } as const;

export function registerCompletionCommand(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script (commands, options, hosts from -i, tags from the playbook)')
    .addArgument(new Argument('<shell>', 'the shell').choices(Object.keys(COMPLETION_SCRIPTS)))
    .action((shell: keyof typeof COMPLETION_SCRIPTS) => {
      process.stdout.write(COMPLETION_SCRIPTS[shell]);
    });

  program
    .command('__complete', { hidden: true })
    .argument('<cword>')
    .argument('[words...]')
    .helpOption(false)
    .action(async (cword: string, words: string[]) => {
      const found = await completions(program, Number(cword), words).catch(() => []);
      if (found.length > 0) process.stdout.write(`${found.join('\n')}\n`);
    });
}
