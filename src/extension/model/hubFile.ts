// The hub file lives in the hub layer so the `switchboard` CLI writes and reads the same record (see src/hub/hubFile.ts).
export * from '../../hub/hubFile';
