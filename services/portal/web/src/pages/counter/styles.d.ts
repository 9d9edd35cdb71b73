// Vite bundles a stylesheet imported for its side effect; the type checker only needs to know
// such an import exists.
declare module '*.css';
