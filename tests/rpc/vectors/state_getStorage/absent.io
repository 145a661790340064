// a key that holds nothing: null
>> {"jsonrpc":"2.0","id":1,"method":"state_getStorage","params":["0xa65b1ef8ee6544359221f3cf316f7683f0729608244859f656d32ae4cbc6b036fe87802413d7ef2c0aca6eaaa9d44d0c000000000000000000000000000000000000dead"]}
<< {"jsonrpc":"2.0","id":1,"result":null}
