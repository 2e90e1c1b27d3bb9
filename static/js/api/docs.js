// Starts Swagger UI on the API documentation page (templates/api/docs.html); a static file, not an inline
// script, so that the page runs under the Content-Security-Policy.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.schemaUrl,
    dom_id: "#swagger-ui",
    // BaseLayout, not StandaloneLayout: the standalone top bar's logo is an SVG with an inline <style>,
    // which the policy refuses, and its "Explore" field (load any URL's description) is of no use here.
    presets: [SwaggerUIBundle.presets.apis],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "BaseLayout",
    deepLinking: true,
    persistAuthorization: false,
    // Swagger UI's default shows a badge fetched from validator.swagger.io with our schema's URL in it, on
    // every host but localhost: a third-party request the policy blocks (and should never be made).
    validatorUrl: null,
    // Ask the schema for JSON: the same description, and no YAML parser needed in the page.
    requestInterceptor: function (request) {
      if (request.url === root.dataset.schemaUrl) {
        request.headers.Accept = "application/vnd.oai.openapi+json";
      }
      return request;
    },
  });
})();
