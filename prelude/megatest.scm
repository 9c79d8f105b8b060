;; Megatest's own procedures and globals for Scheme inside configs (`#{scheme ...}`).

;; A hash table that configs may use to pass data to each other.
(define *user-hash-data* (make-hash-table))

;; (configf:lookup cfg section var): a value of a config hash table, or #f.
(define (configf:lookup cfg section var)
  (let ([entries (hash-table-ref/default cfg section '())])
    (let ([found (assoc var entries)])
      (if found (cadr found) #f))))
(define config-lookup configf:lookup)

;; (configf:section-vars cfg section): the variable names of a section.
(define (configf:section-vars cfg section)
  (map car (hash-table-ref/default cfg section '())))

;; Builds the hash table `ht` that `#{scheme ...}` sees: section -> list of (var value).
(define (%mt:config->hash-table sections)
  (let ([ht (make-hash-table)])
    (for-each (lambda (s) (hash-table-set! ht (car s) (cadr s))) sections)
    ht))

;; Runs one `#{scheme ...}` body: returns (value printed-output).
(define (%mt:run-snippet thunk ht)
  (let ([port (open-output-string)])
    (let ([value (parameterize ([current-output-port port]) (thunk ht))])
      (list value (get-output-string port)))))
