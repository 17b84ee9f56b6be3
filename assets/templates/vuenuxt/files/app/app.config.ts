// What the app is, as the factory run named it; read with useAppConfig().
export default defineAppConfig({
  appName: {{ name | tojson }},
  appIdea: {{ idea | tojson }},
});
