;; logpro's rule-file API for steel. Every procedure hands its arguments, as data, to the
;; same Rust rule builder the literal fast path uses, and displays what it prints.

(define in 'in)
(define not-in 'not-in)
(define before 'before)
(define after 'after)
(define logfile "LogFileBody")

;; Comparison procedures passed as values become markers the builder recognises.
(define (%logpro:arg x)
  (cond [(eq? x =) '%op:=]
        [(eq? x >) '%op:>]
        [(eq? x <) '%op:<]
        [(eq? x >=) '%op:>=]
        [(eq? x <=) '%op:<=]
        [(list? x) (map %logpro:arg x)]
        [else x]))

(define (%logpro:run name args)
  (let ([result (%logpro:call name (map %logpro:arg args))])
    (for-each display (car result))
    (cadr result)))

(define (expect . args) (%logpro:run "expect" args))
(define (expect:error . args) (%logpro:run "expect:error" args))
(define (expect:warning . args) (%logpro:run "expect:warning" args))
(define (expect:warn . args) (%logpro:run "expect:warn" args))
(define (expect:required . args) (%logpro:run "expect:required" args))
(define (expect:required-warn . args) (%logpro:run "expect:required-warn" args))
(define (expect:ignore . args) (%logpro:run "expect:ignore" args))
(define (expect:note . args) (%logpro:run "expect:note" args))
(define (expect:waive . args) (%logpro:run "expect:waive" args))
(define (expect:waived . args) (%logpro:run "expect:waived" args))
(define (expect:waiver . args) (%logpro:run "expect:waiver" args))
(define (expect:check . args) (%logpro:run "expect:check" args))
(define (expect:abort . args) (%logpro:run "expect:abort" args))
(define (expect:skip . args) (%logpro:run "expect:skip" args))
(define (expect:value . args) (%logpro:run "expect:value" args))
(define (trigger . args) (%logpro:run "trigger" args))
(define (trigger-with-limit . args) (%logpro:run "trigger-with-limit" args))
(define (trigger:non-required . args) (%logpro:run "trigger:non-required" args))
(define (section . args) (%logpro:run "section" args))
(define (hook:add . args) (%logpro:run "hook:add" args))
(define (logpro:set! . args) (%logpro:run "logpro:set!" args))
(define (logpro:get . args) (%logpro:run "logpro:get" args))
(define (logpro:unset! . args) (%logpro:run "logpro:unset!" args))

;; CHICKEN module forms and its debugging aid: harmless no-ops here.
(define-syntax use (syntax-rules () [(_ x ...) #t]))
(define-syntax require-extension (syntax-rules () [(_ x ...) #t]))
(define-syntax trace (syntax-rules () [(_ x ...) #t]))
