// The GraphiQL page: strawberry-graphql's page, loaded from this server only (no inline script).
// A browser logged into the admin sends its session cookie and the CSRF token (read from the
// cookie at every request, so a new login in another tab is picked up); a request with an
// `Authorization: Bearer …` header from the headers editor is authenticated by that key, and so
// is a subscription (GraphiQL sends the headers as graphql-transport-ws connection_init payload).
(function () {
  "use strict";

  const root = document.getElementById("graphiql");
  const csrfCookieName = root.dataset.csrfCookie;
  const fetchURL = window.location.href.split("?")[0].split("#")[0];

  function readCookie(name) {
    for (const part of document.cookie.split(";")) {
      const eq = part.indexOf("=");
      if (eq >= 0 && part.slice(0, eq).trim() === name) {
        return decodeURIComponent(part.slice(eq + 1).trim());
      }
    }
    return null;
  }

  function fetchWithCsrfToken(input, init) {
    const options = Object.assign({}, init, { credentials: "same-origin" });
    const headers = new Headers(options.headers || {});
    const token = readCookie(csrfCookieName);
    if (token && !headers.has("X-CSRFToken")) {
      headers.set("X-CSRFToken", token);
    }
    options.headers = headers;
    return window.fetch(input, options);
  }

  function webSocketURL(url) {
    const parsed = new URL(url);
    parsed.protocol = parsed.protocol === "https:" ? "wss:" : "ws:";
    parsed.hash = "";
    return parsed.toString();
  }

  // The query and variables are kept in the URL for sharing; headers never are (API keys).
  const parameters = {};
  for (const entry of window.location.search.slice(1).split("&")) {
    const eq = entry.indexOf("=");
    if (eq >= 0) {
      parameters[decodeURIComponent(entry.slice(0, eq))] = decodeURIComponent(
        entry.slice(eq + 1),
      );
    }
  }

  function updateURL(data) {
    Object.assign(parameters, data);
    const search = Object.keys(parameters)
      .filter((key) => Boolean(parameters[key]))
      .map((key) => encodeURIComponent(key) + "=" + encodeURIComponent(parameters[key]))
      .join("&");
    history.replaceState(null, "", search ? "?" + search : window.location.pathname);
  }

  const fetcher = GraphiQL.createFetcher({
    url: fetchURL,
    subscriptionUrl: webSocketURL(fetchURL),
    fetch: fetchWithCsrfToken,
  });
  const explorer = GraphiQLPluginExplorer.explorerPlugin();

  // The query and variables from the URL are initial values only: a `query` prop that followed
  // every edit would be written back into the editor late and move the cursor while typing.
  const page = React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultEditorToolsVisibility: true,
    plugins: [explorer],
    query: parameters.q,
    variables: parameters.variables,
    onEditQuery: (value) => updateURL({ q: value }),
    onEditVariables: (value) => updateURL({ variables: value }),
    inputValueDeprecation: true,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: true,
  });

  ReactDOM.createRoot(root).render(page);
})();
