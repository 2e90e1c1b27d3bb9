// Starts Swagger UI on the API documentation page (templates/api/docs.html); a static file, not an inline
// script, so that the page runs under the Content-Security-Policy.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.schemaUrl,
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "StandaloneLayout",
    deepLinking: true,
    persistAuthorization: false,
    // Ask the schema for JSON: the same description, and no YAML parser needed in the page.
    requestInterceptor: function (request) {
      if (request.url === root.dataset.schemaUrl) {
        request.headers.Accept = "application/vnd.oai.openapi+json";
      }
      return request;
    },
  });
})();
