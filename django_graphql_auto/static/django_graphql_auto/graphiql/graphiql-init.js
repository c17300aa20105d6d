/*
 * Starts GraphiQL on the page served by django-graphql-auto.
 *
 * This lives in a static file rather than an inline <script> so the page's Content-Security-Policy
 * can allow scripts from 'self' only. Settings come from the JSON block rendered by the template
 * (a data block, never executed).
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("graphiql-config").textContent);

  // GraphiQL's dialogs inject <style> elements; the bundle tags them with this global nonce,
  // which lets the CSP avoid 'unsafe-inline' for styles.
  window.__webpack_nonce__ = config.styleNonce;

  var headers = {};
  if (config.csrfToken) {
    headers["X-CSRFToken"] = config.csrfToken;
  }

  // The page is served at the endpoint itself, so its path (without the query string) is the
  // endpoint under any mount point or proxy prefix.
  var fetcher = GraphiQL.createFetcher({
    url: window.location.pathname,
    headers: headers,
    enableIncrementalDelivery: false,
  });

  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      shouldPersistHeaders: false,
    })
  );
})();
