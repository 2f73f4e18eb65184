-- Never runs: the loop would spin forever if it did; the syntax error is found by compiling.
while true do end
return function(body) return body end end
