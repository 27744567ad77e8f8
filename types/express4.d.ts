// Express 4, installed side by side with Express 5 as the dev dependency alias "express4" for
// the HTTP test matrix. Its API surface used by the tests is the same; reuse Express's types.
declare module 'express4' {
  export { default } from 'express'
}
