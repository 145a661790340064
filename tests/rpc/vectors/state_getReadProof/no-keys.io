// at least one key: -32602
>> {"jsonrpc":"2.0","id":1,"method":"state_getReadProof","params":[[]]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: keys must be a non-empty array of at most 256 storage keys"}}
