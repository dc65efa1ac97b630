// app.js - placeholder of the dashboard's script (the real one comes from branch dash-page):
// shows the cluster document and reloads it on each change event.
"use strict";
const show = () => fetch("/api/v1/cluster").then((r) => r.json()).then((d) => {
  document.getElementById("doc").textContent = JSON.stringify(d, null, 2);
});
show();
new EventSource("/api/v1/events").addEventListener("change", show);
