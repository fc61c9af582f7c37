// Live pages: follow the page's server-sent event stream and hand each named event to its handler.
// Browsers without EventSource, or whose stream the server refuses for good, fall back to `poll` when given.
function followLive(url, handlers, poll) {
  if (!window.EventSource) {
    if (poll) poll();
    return;
  }
  const source = new EventSource(url);
  for (const [name, handle] of Object.entries(handlers)) {
    source.addEventListener(name, event => handle(event.data));
  }
  source.addEventListener("error", () => {
    // EventSource reconnects by itself after a dropped connection; CLOSED means it has given up.
    if (source.readyState === EventSource.CLOSED && poll) poll();
  });
  window.addEventListener("pagehide", () => source.close());
}
