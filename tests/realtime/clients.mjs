// Subscribes with a third-party client (graphql-ws or graphql-sse) and prints each result as a
// JSON line; exits after COUNT results or on an error (printed as {"error": ...}).
// Protocol "ws-idle": connects (graphql-ws, not lazy), subscribes to nothing and prints how the
// server closed the socket as {"closed": code, "reason": ...}.
import { createClient as createWsClient } from "graphql-ws";
import { createClient as createSseClient } from "graphql-sse";
import WebSocket from "ws";

const [protocol, base, apiKey, threadId, count] = process.argv.slice(2);

if (protocol === "ws-idle") {
  createWsClient({
    url: `ws://${base}/graphql/`,
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${apiKey}` },
    lazy: false,
    retryAttempts: 0,
    on: {
      closed: (event) => {
        console.log(JSON.stringify({ closed: event.code, reason: event.reason }));
        process.exit(0);
      },
    },
    onNonLazyError: () => {},
  });
  setTimeout(() => process.exit(2), 20000);
} else {
  const query = `subscription ($t: ID!) { messageAdded(threadId: $t) { kind message { content } } }`;
  const client =
    protocol === "ws"
      ? createWsClient({
          url: `ws://${base}/graphql/`,
          webSocketImpl: WebSocket,
          connectionParams: { Authorization: `Bearer ${apiKey}` },
          retryAttempts: 0,
        })
      : createSseClient({
          url: `http://${base}/graphql/`,
          headers: { Authorization: `Bearer ${apiKey}` },
          retryAttempts: 0,
        });

  let seen = 0;
  const done = (code) => {
    client.dispose();
    process.exit(code);
  };
  client.subscribe(
    { query, variables: { t: threadId } },
    {
      next: (result) => {
        console.log(JSON.stringify(result));
        seen += 1;
        if (seen >= Number(count)) done(0);
      },
      error: (error) => {
        console.log(JSON.stringify({ error: Array.isArray(error) ? error : String(error) }));
        done(1);
      },
      complete: () => done(0),
    },
  );
  setTimeout(() => done(2), 20000);
}
