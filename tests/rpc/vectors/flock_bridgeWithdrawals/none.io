// no withdrawal yet: an empty list
>> {"jsonrpc":"2.0","id":1,"method":"flock_bridgeWithdrawals"}
<< {"jsonrpc":"2.0","id":1,"result":[]}
