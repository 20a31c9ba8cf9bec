// Lets main.ts import its stylesheet: esbuild bundles it to dist/webview/monitor.css next to the script.
declare module '*.css';
