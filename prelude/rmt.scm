;; Megatest's record accessors and scripting helpers, over the rmt procedures (which the
;; engine defines from megatest's API table before this file is loaded).

;; Test records: vectors in the order
;; id run_id testname state status event_time host cpuload diskfree uname rundir item_path
;; run_duration final_logf comment shortdir attemptnum archived.
(define (db:test-get-id r) (vector-ref r 0))
(define (db:test-get-run_id r) (vector-ref r 1))
(define (db:test-get-testname r) (vector-ref r 2))
(define (db:test-get-state r) (vector-ref r 3))
(define (db:test-get-status r) (vector-ref r 4))
(define (db:test-get-event_time r) (vector-ref r 5))
(define (db:test-get-host r) (vector-ref r 6))
(define (db:test-get-cpuload r) (vector-ref r 7))
(define (db:test-get-diskfree r) (vector-ref r 8))
(define (db:test-get-uname r) (vector-ref r 9))
(define (db:test-get-rundir r) (vector-ref r 10))
(define (db:test-get-item-path r) (vector-ref r 11))
(define (db:test-get-run_duration r) (vector-ref r 12))
(define (db:test-get-final_logf r) (vector-ref r 13))
(define (db:test-get-comment r) (vector-ref r 14))
(define (db:test-get-shortdir r) (vector-ref r 15))
(define (db:test-get-attemptnum r) (vector-ref r 16))
(define (db:test-get-archived r) (vector-ref r 17))
(define (db:test-get-fullname r)
  (let ([item (db:test-get-item-path r)])
    (if (or (not item) (equal? item ""))
        (db:test-get-testname r)
        (conc (db:test-get-testname r) "/" item))))

;; Header/rows structures: #(header rows).
(define (db:get-header v) (vector-ref v 0))
(define (db:get-rows v) (vector-ref v 1))
(define (db:get-value-by-header row header field)
  (let loop ([h header] [i 0])
    (cond [(or (not row) (null? h)) #f]
          [(equal? (car h) field) (vector-ref row i)]
          [else (loop (cdr h) (+ i 1))])))

;; rmt:get-tests-tags gives a hash table, as in Megatest.
(define (rmt:get-tests-tags)
  (let ([ht (make-hash-table)])
    (for-each (lambda (entry) (hash-table-set! ht (car entry) (cdr entry)))
              (%mt:api "rmt:get-tests-tags" '()))
    ht))

;; The area: set by megatest when it knows it.
(define *toppath* (%mt:toppath))
(define *configdat* (make-hash-table))

;; (tests:get-all): test name -> its directory, as a hash table.
(define (tests:get-all)
  (let ([ht (make-hash-table)])
    (for-each (lambda (entry) (hash-table-set! ht (car entry) (cadr entry))) (%mt:tests))
    ht))

;; (tests:filter-test-names names patterns): the names a -testpatt list selects, in
;; order, each once (only the test part of each pattern counts).
(define (tests:filter-test-names names patterns)
  (let loop ([l names] [kept '()])
    (cond [(null? l) (reverse kept)]
          [(and (string? patterns)
                (%mt:selects-test? patterns (car l))
                (not (member (car l) kept)))
           (loop (cdr l) (cons (car l) kept))]
          [else (loop (cdr l) kept)])))

;; (db:dbfile-path ...): the directory of the area's database (arguments ignored, as 1.65).
(define (db:dbfile-path . ignored) (%mt:dbfile-dir))

;; (common:get-linktree): the link tree directory.
(define (common:get-linktree) (%mt:linktree))

;; (help 'name): what a procedure does; (help) lists the documented procedures.
(define (help . what)
  (display (%mt:help (if (null? what) #f (car what)))))
