// Vite bundles a stylesheet imported for its side effect; it exports nothing.
declare module '*.css';
