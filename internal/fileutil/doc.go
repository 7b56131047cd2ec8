// Package fileutil holds the file habits the evote commands share: a file
// replaced atomically (WriteAtomic), an exclusive lock on a file that a
// crash cannot leave behind (Lock), and the line-by-line reading of
// answers to prompts (LineReader). It knows no evote format; it imports
// only the standard library.
package fileutil
