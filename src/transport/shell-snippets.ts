/**
 * Shell snippets that probe scripts use inside their own subshell. Probes run many times per
 * run on hosts that are often busy; a process started per small file read (cat) is most of what a
 * cheap probe costs, so these use bash builtins only.
 */

/**
 * `ss_cat FILE`: prints FILE as cat would (adding a final newline when missing) with `read`, no
 * process; fails quietly (status 1, nothing printed) when FILE cannot be opened. For small text
 * files: it reads line by line, and NUL bytes do not survive.
 */
/** Prints the epoch seconds with bash's own clock (no `date` process). */
export const PRINT_NOW = "printf '%(%s)T\\n' -1";

export const PRINT_FILE = 'ss_cat() { local l; while IFS= read -r l || [ -n "$l" ]; do printf \'%s\\n\' "$l"; done 2>/dev/null < "$1"; }';
