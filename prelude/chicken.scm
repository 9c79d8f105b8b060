;; CHICKEN Scheme procedures that Megatest configs, rule files and scripts use, written for
;; steel. Loaded into every engine megatest creates. Rust provides conc, getenv, setenv,
;; unsetenv, create-directory, string-split, any->number and the regex procedures.

;; (print x ...): display every argument, then a newline.
(define (print . args)
  (for-each display args)
  (newline))

;; (write x [port]): x readable back, with CHICKEN's #t/#f.
(define (write x . port)
  (if (null? port) (display (%mt:written x)) (display (%mt:written x) (car port))))

;; (string-intersperse list [separator " "]): join strings.
(define (string-intersperse strs . sep)
  (string-join strs (if (null? sep) " " (car sep))))

;; (->string x): x displayed as a string.
(define (->string x) (conc x))

;; (string-translate str from [to]): replace (or delete) the characters of `from`.
(define (string-translate str from . to)
  (let ([from-chars (if (char? from) (list from) (string->list from))]
        [to-chars (cond [(null? to) '()]
                        [(char? (car to)) (list (car to))]
                        [else (string->list (car to))])])
    (list->string
     (let loop ([cs (string->list str)] [acc '()])
       (if (null? cs)
           (reverse acc)
           (let ([idx (%index-of (car cs) from-chars 0)])
             (cond [(not idx) (loop (cdr cs) (cons (car cs) acc))]
                   [(< idx (length to-chars)) (loop (cdr cs) (cons (list-ref to-chars idx) acc))]
                   [else (loop (cdr cs) acc)])))))))

(define (%index-of x xs i)
  (cond [(null? xs) #f]
        [(equal? x (car xs)) i]
        [else (%index-of x (cdr xs) (+ i 1))]))

;; SRFI-69 hash tables, over steel's immutable hash maps held in a mutable struct.
(struct %hash-table (table) #:mutable)

(define (make-hash-table . _) (%hash-table (hash)))
(define (hash-table? x) (%hash-table? x))
(define (hash-table-set! ht key value)
  (set-%hash-table-table! ht (hash-insert (%hash-table-table ht) key value)))
(define (hash-table-ref ht key . thunk)
  (let ([t (%hash-table-table ht)])
    (cond [(hash-contains? t key) (hash-ref t key)]
          [(null? thunk) (error "hash-table-ref: no such key" key)]
          [else ((car thunk))])))
(define (hash-table-ref/default ht key default)
  (let ([t (%hash-table-table ht)])
    (if (hash-contains? t key) (hash-ref t key) default)))
(define (hash-table-exists? ht key) (hash-contains? (%hash-table-table ht) key))
(define (hash-table-delete! ht key)
  (set-%hash-table-table! ht (hash-remove (%hash-table-table ht) key)))
(define (hash-table-keys ht) (hash-keys->list (%hash-table-table ht)))
(define (hash-table-values ht) (hash-values->list (%hash-table-table ht)))
(define (hash-table->alist ht) (hash->list (%hash-table-table ht)))
(define (hash-table-count ht) (hash-length (%hash-table-table ht)))
(define (hash-table-size ht) (hash-length (%hash-table-table ht)))
(define (hash-table-clear! ht) (set-%hash-table-table! ht (hash)))
(define (hash-table-copy ht . _) (%hash-table (%hash-table-table ht)))
(define (hash-table-update! ht key proc . thunk)
  (hash-table-set! ht key (proc (apply hash-table-ref ht key thunk))))
(define (hash-table-update!/default ht key proc default)
  (hash-table-set! ht key (proc (hash-table-ref/default ht key default))))
(define (hash-table-walk ht proc)
  (for-each (lambda (p) (proc (car p) (cdr p))) (hash-table->alist ht)))
(define (hash-table-fold ht proc init)
  (foldl (lambda (p acc) (proc (car p) (cdr p) acc)) init (hash-table->alist ht)))
(define (alist->hash-table alist . _)
  (let ([ht (make-hash-table)])
    (for-each (lambda (p) (hash-table-set! ht (car p) (cdr p))) alist)
    ht))
