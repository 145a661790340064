// no number: the head's hash
>> {"jsonrpc":"2.0","id":1,"method":"chain_getBlockHash"}
<< {"jsonrpc":"2.0","id":1,"result":"0xe86e7049a36db1795232006c66a872b79f7bae9af174a2092173b09b8863179c"}
