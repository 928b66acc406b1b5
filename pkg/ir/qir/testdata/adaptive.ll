; Adaptive profile: measure qubit 0 after H and copy the outcome to
; qubit 1 with a branch on the result; a negated read flips qubit 2 when
; the outcome is 0, so results 1 and 2 always differ. Written for SOKR.
define void @main() #0 {
entry:
  call void @__quantum__qis__h__body(ptr null)
  call void @__quantum__qis__mz__body(ptr null, ptr null)
  %0 = call i1 @__quantum__qis__read_result__body(ptr null)
  br i1 %0, label %then, label %cont
then:
  call void @__quantum__qis__x__body(ptr inttoptr (i64 1 to ptr))
  br label %cont
cont:
  %1 = call i1 @__quantum__rt__read_result(ptr null)
  %2 = xor i1 %1, true
  br i1 %2, label %flip, label %done
flip:
  call void @__quantum__qis__x__body(ptr inttoptr (i64 2 to ptr))
  br label %done
done:
  call void @__quantum__qis__mz__body(ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 1 to ptr))
  call void @__quantum__qis__mz__body(ptr inttoptr (i64 2 to ptr), ptr inttoptr (i64 2 to ptr))
  ret void
}

attributes #0 = { "entry_point" "qir_profiles"="adaptive_profile" "required_num_qubits"="3" "required_num_results"="3" }
