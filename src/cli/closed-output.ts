/**
 * `shipshape apply … | head`: once the reader goes away, every write to stdout fails with EPIPE,
 * which Node raises as an unhandled 'error' event (a stack trace, and the run killed in the middle
 * of its tasks). A run that has started should end as it would have: so a closed stdout or stderr
 * only stops that stream's output; the exit code stays the run's own.
 */
export function keepRunningWhenOutputCloses(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
}
