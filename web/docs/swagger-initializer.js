// Swagger UI of /docs: the document of this service; "Authorize" uses its OAuth2 password
// flow (tokenUrl /api/v1/login/access-token), as FastAPI's /docs does.
window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/api/v1/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'BaseLayout',
    oauth2RedirectUrl: window.location.origin + '/docs/swagger-ui/oauth2-redirect.html',
  });
});
