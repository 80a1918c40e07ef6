// The demo's Vite config. litevite-gw starts Vite with --port and proxies
// /static/ (Vite's base) and the HMR WebSocket through its own port.
import { defineConfig } from "vite";

export default defineConfig({
  base: "/static/",
  clearScreen: false,
  server: {
    host: "127.0.0.1",
    strictPort: true,
  },
});
