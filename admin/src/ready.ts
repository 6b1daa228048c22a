/**
 * Marks the moment a page first shows its data (for the time-to-interactive figure in the README and
 * the browser tests): data-ready="<page>" on <html>, and the first time a performance mark
 * "console-ready", both in the frame after the render that shows the data.
 */
export function markReady(page: string): void {
  requestAnimationFrame(() => {
    const root = document.documentElement;
    if (!root.dataset.firstReady) {
      root.dataset.firstReady = page;
      performance.mark('console-ready');
    }
    root.dataset.ready = page;
  });
}
