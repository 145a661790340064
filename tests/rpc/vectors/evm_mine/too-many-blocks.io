// blocks must be 1 to 10000: -32602
>> {"jsonrpc":"2.0","id":1,"method":"evm_mine","params":[{"blocks":10001}]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: blocks must be between 1 and 10000, got 10001"}}
