// Starts Swagger UI on /v1/docs (app/templates/swagger_ui.html) from the page's data
// attributes: a file, because the Content-Security-Policy allows no inline script.
window.addEventListener("load", function () {
  var container = document.getElementById("swagger-ui-container");
  var config = JSON.parse(container.dataset.config || "{}");
  config.url = container.dataset.specUrl;
  config.dom_id = "#swagger-ui-container";
  window.ui = SwaggerUIBundle(config);
});
