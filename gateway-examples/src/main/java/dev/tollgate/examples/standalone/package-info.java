/**
 * The standalone gateway: the same engine configured by environment variables, with a demo backend
 * when no backend is given.
 */
package dev.tollgate.examples.standalone;
